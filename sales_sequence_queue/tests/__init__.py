from . import test_queue_engine
