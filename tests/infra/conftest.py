import os

# jsii warns about the Node.js version on every import of aws_cdk: Node 20 is deprecated and past
# its end of life for jsii. Harmless here; set before any test module imports aws_cdk.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
