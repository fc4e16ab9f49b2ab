"""The live browser page: offline front-end assets (``assets``) and its launcher (``server``)."""
