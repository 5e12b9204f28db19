"""The top of the arrows (app -> handlers -> bot -> db): the wiring (wiring.py) that builds the Application from
every layer below. Nothing in handlers, bot or db imports it; `python -m bot run` reaches it through the entry
point, bot/__main__.py.
"""
