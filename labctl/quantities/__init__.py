"""Physical quantities as input files write them (``47.5 g``, ``-0.5 K/min``): the strict parser and formatter
(:mod:`units`) and the pydantic field types that hold each kind in its canonical unit (:mod:`fields`)."""
