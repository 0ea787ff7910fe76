"""`labctl dashboard`: a page in the browser that watches and commands every rig on a broker."""
