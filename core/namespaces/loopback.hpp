// The loopback interface of a new network namespace starts down; runc and
// crun bring it up, and programs expect 127.0.0.1 to answer.
#pragma once

namespace berth {

// Sets IFF_UP on "lo" in the caller's network namespace.
void bring_loopback_up();

}  // namespace berth
