import os

# jsii (under aws-cdk-lib) prints a Node.js version notice on import; harmless here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
