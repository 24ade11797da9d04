"""Ways a customer identifies (phone entry now; scanners, stripe, camera and NFC to come).

No Textual here: each device turns what it reads into an ``Identification``, and the apps
decide what to show.
"""
