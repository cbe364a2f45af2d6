from . import test_queue_engine
from . import test_queue_processes
