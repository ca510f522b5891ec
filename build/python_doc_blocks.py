"""Prints the Python blocks of a Markdown file (```python ... ```) as one script, leaving out the blocks whose first
line is "# needs onnxruntime" (ONNX Runtime is not a Debian package). .ci/run runs docs/python.md this way."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"```python\n(.*?)```", text, re.S)
print("\n".join(block for block in blocks if not block.startswith("# needs onnxruntime")))
