"""The built-in examples, as data with their sources: one SPV (:mod:`.spv`) and a program (:mod:`.portfolio`).

Both are illustrative, not real projects; each module says where its sizes come from. ``make demo``,
the template, the commands run without an input, and the tests use them.
"""
