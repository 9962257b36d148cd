// Test plugin "mount-handler-dup": also claims the "testfs" mount type.
#define TEST_PLUGIN_NAME "mount-handler-dup"
#define TEST_TYPES \
    { "otherfs", "testfs" }
#include "mount_handler.cpp"
