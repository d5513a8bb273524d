//
// DeadLetterAdmin.cpp
//
// The key function of the dead-letters capability, in libeventbus (see
// Capability.cpp), and its name.
//
#include "eventbus/DeadLetterAdmin.h"

namespace eventbus {
inline namespace abi_v3 {

const std::string DeadLetterAdmin::Name = "dead-letters";

DeadLetterAdmin::~DeadLetterAdmin() = default;

} // inline namespace abi_v3
} // namespace eventbus
