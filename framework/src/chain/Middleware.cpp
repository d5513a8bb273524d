//
// Middleware.cpp
//
// The default (pass-through) behaviour of every middleware hook.
//
#include "eventbus/EventPublisher.h"
#include "eventbus/Middleware.h"

namespace eventbus {

Middleware::~Middleware() = default;
void Middleware::onPublish(PublishContext&) {}
void Middleware::afterPublish(const PublishContext&, bool) {}
bool Middleware::onDeliver(DeliveryContext&) { return true; }
void Middleware::afterDeliver(const DeliveryContext&, bool) {}

EventPublisher::~EventPublisher() = default;

} // namespace eventbus
