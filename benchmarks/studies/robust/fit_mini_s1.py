"""Second mini seed on e5_AB only (compute budget)."""
import sys; sys.argv = ["fit_mini.py", "1"]
import common

common.PAIRS = ["e5_AB"]
exec(open("fit_mini.py").read())
