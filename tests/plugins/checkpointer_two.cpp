// Test plugin "checkpointer-two": a second checkpoint engine (checkpointer.cpp
// under another name), which a host that loads one refuses.
#define CKPT_NAME "checkpointer-two"
#include "checkpointer.cpp"
