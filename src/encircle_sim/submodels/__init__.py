"""The submodels of one step, one module each, in the order the model runs them (ODD 3, 7).

perceive -> decide -> move (cells) -> escape -> move (units) -> detect -> engage -> retaliate ->
networks -> plan. Each module states its rule in its docstring; every number in a rule is a
scenario parameter or a named constant of the module (listed in docs/ODD.md section 9).
"""
