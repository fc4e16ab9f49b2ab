import subprocess
import sys


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "encircle_sim.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert "encircle-sim" in out.stdout
