"""The bounds that keep a hostile input file cheap to refuse."""

# The largest shipped file is under 5 kB and 400 YAML events. The bounds leave room for any real protocol or rig
# and keep a hostile one well under a second: ruamel in pure Python parses some 50 000 events a second.
MAX_NODES = 5_000
MAX_BYTES = 256 * 1024
MAX_DEPTH = 50  # a protocol is about 6 levels deep; this keeps every recursive walk far from Python's limit
