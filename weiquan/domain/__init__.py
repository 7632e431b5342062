"""The seed's rules as pure Python: no Django, no clock, no database.

Everything here takes facts and a date and returns values; the CLI, the web app and the API all call the same
functions so they can never disagree.
"""
