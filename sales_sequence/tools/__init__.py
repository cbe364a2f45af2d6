from . import ab
from . import render
from . import schedule
