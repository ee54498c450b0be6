"""Stand-ins for the web that tests, the demo and the benchmarks share.

``server`` is a loopback HTTP(S) server that can misbehave on demand and counts
what a polite client must respect; ``zoo`` builds on it every hard case of link
checking with its true verdict; ``archive`` imitates the archive services.
Nothing here touches the internet or DNS.  Submodules are imported explicitly
(``from linkaudit.testing.zoo import Zoo``) so production imports stay light.
"""
