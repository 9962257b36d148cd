#!/usr/bin/env python3
"""Turns a built file into a C++ byte array: embed_binary.py INPUT OUTPUT SYMBOL."""
import sys

data = open(sys.argv[1], "rb").read()
sym = sys.argv[3]
with open(sys.argv[2], "w") as out:
    out.write("// Generated from %s by embed_binary.py.\n#include <cstddef>\n" % sys.argv[1].split("/")[-1])
    out.write("namespace berth {\nextern const unsigned char %s[] = {\n" % sym)
    for i in range(0, len(data), 16):
        out.write("  " + ", ".join(str(b) for b in data[i:i + 16]) + ",\n")
    out.write("};\nextern const std::size_t %s_size = %d;\n}  // namespace berth\n" % (sym, len(data)))
