//
// Redaction.h
//
// The redaction middleware: counts and masks sensitive values, logs masked.
//
#pragma once

#include "eventbus/BusSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include "eventbus/Redactor.h"
#include <Poco/Logger.h>

namespace eventbus {

/// Logs every published and delivered event at debug level with sensitive
/// values masked; in payload mode also masks them in the event on publish,
/// so they never reach the wire. Counts masked values in eventbus_redactions_total.
class Redaction : public Middleware
{
public:
	Redaction(const Redactor& redactor, RedactionMode mode, Metrics& metrics, Poco::Logger& logger);
	std::string name() const override { return "redaction"; }
	void onPublish(PublishContext& context) override;
	bool onDeliver(DeliveryContext& context) override;
private:
	const Redactor& _redactor;
	RedactionMode _mode;
	Counter& _redactions;
	Poco::Logger& _logger;
};

} // namespace eventbus
