"""One module per family of rules; each rule function takes a CheckContext and returns findings."""
