"""What every app's API router shares: bearer authentication, the Chinese error answers, the error schema.

Apps define their routers and import from here; ``weiquan.api`` only assembles the routers into one API.
"""
