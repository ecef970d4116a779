"""Generated images and token sequences (make_shapes, make_sentiment, ...): the code lives in
``tinynn.data.generated``; this module keeps ``from tinynn.synthetic import ...`` working."""
from tinynn.data.generated import *  # noqa: F401,F403
from tinynn.data.generated import __all__  # noqa: F401
