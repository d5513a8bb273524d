// Suite ID: unit.metrics
//
// MetricsTest.cpp
//
// Counters and histograms keyed by name and labels, and their Prometheus
// text exposition.
//
#include "UnitSupport.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

std::size_t occurrences(const std::string& text, const std::string& part)
{
	std::size_t n = 0;
	for (std::size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1))
		++n;
	return n;
}

} // namespace

class MetricsTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(MetricsTest);
	CPPUNIT_TEST(testCounterIncrements);
	CPPUNIT_TEST(testSameNameAndLabelsGiveSameCounter);
	CPPUNIT_TEST(testLabelOrderDoesNotMatter);
	CPPUNIT_TEST(testDifferentLabelsGiveDifferentSeries);
	CPPUNIT_TEST(testCounterValueSumsOverLabels);
	CPPUNIT_TEST(testCounterValueOfUnknownIsZero);
	CPPUNIT_TEST(testCounterIsSafeAcrossThreads);
	CPPUNIT_TEST(testHistogramCountsAndSums);
	CPPUNIT_TEST(testHistogramBoundsSpan50usTo10s);
	CPPUNIT_TEST(testHistogramCumulativeIsMonotonic);
	CPPUNIT_TEST(testQuantileIsUpperBoundOfBucket);
	CPPUNIT_TEST(testQuantileSeesTheTail);
	CPPUNIT_TEST(testPrometheusHasHelpAndTypeOncePerName);
	CPPUNIT_TEST(testPrometheusCounterLineHasSortedLabels);
	CPPUNIT_TEST(testPrometheusHistogramHasBucketsSumAndCount);
	CPPUNIT_TEST(testPrometheusEscapesLabelValues);
	CPPUNIT_TEST(testSummaryNamesEverySeries);
	CPPUNIT_TEST(testGaugeGoesDownAndIsExportedAsAGauge);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCounterIncrements()
	{
		Metrics m;
		m.counter("c_total").increment();
		m.counter("c_total").increment(2);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), m.counter("c_total").value());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), m.counterValue("c_total"));
	}

	void testSameNameAndLabelsGiveSameCounter()
	{
		Metrics m;
		Counter& a = m.counter("c_total", {{"topic", "x"}});
		Counter& b = m.counter("c_total", {{"topic", "x"}});
		CPPUNIT_ASSERT(&a == &b);
	}

	void testLabelOrderDoesNotMatter()
	{
		Metrics m;
		Counter& a = m.counter("c_total", {{"transport", "memory"}, {"topic", "x"}});
		Counter& b = m.counter("c_total", {{"topic", "x"}, {"transport", "memory"}});
		CPPUNIT_ASSERT(&a == &b);
		a.increment(5);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), m.counterValue("c_total", {{"topic", "x"}, {"transport", "memory"}}));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), m.counterValue("c_total", {{"transport", "memory"}, {"topic", "x"}}));
	}

	void testDifferentLabelsGiveDifferentSeries()
	{
		Metrics m;
		m.counter("c_total", {{"topic", "x"}}).increment();
		m.counter("c_total", {{"topic", "y"}}).increment(2);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), m.counterValue("c_total", {{"topic", "x"}}));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), m.counterValue("c_total", {{"topic", "y"}}));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.counterValue("c_total", {{"topic", "z"}}));
	}

	void testCounterValueSumsOverLabels()
	{
		Metrics m;
		m.counter(Metrics::Dropped, {{"reason", "duplicate"}}).increment(2);
		m.counter(Metrics::Dropped, {{"reason", "stale"}}).increment(3);
		m.counter(Metrics::Dropped).increment(1);
		m.counter(Metrics::Published).increment(100);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), m.counterValue(Metrics::Dropped));
	}

	void testCounterValueOfUnknownIsZero()
	{
		Metrics m;
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.counterValue("nothing_total"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.counterValue("nothing_total", {{"a", "b"}}));
	}

	void testCounterIsSafeAcrossThreads()
	{
		Metrics m;
		std::vector<std::thread> threads;
		for (int t = 0; t < 4; ++t)
			threads.emplace_back([&m, t]() {
				for (int i = 0; i < 5000; ++i)
					m.counter("c_total", {{"thread", std::to_string(t % 2)}}).increment();
			});
		for (auto& th : threads)
			th.join();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(20000), m.counterValue("c_total"));
	}

	void testHistogramCountsAndSums()
	{
		Histogram h;
		h.observe(0.001);
		h.observe(0.001);
		h.observe(0.5);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), h.count());
		CPPUNIT_ASSERT_DOUBLES_EQUAL(0.502, h.sum(), 1e-6);
	}

	void testHistogramBoundsSpan50usTo10s()
	{
		const auto& b = Histogram::bounds();
		CPPUNIT_ASSERT(b.size() >= 5);
		CPPUNIT_ASSERT_DOUBLES_EQUAL(0.00005, b.front(), 1e-9);
		CPPUNIT_ASSERT_DOUBLES_EQUAL(10.0, b.back(), 1e-9);
		for (std::size_t i = 1; i < b.size(); ++i)
			CPPUNIT_ASSERT(b[i] > b[i - 1]);
	}

	void testHistogramCumulativeIsMonotonic()
	{
		Histogram h;
		h.observe(0.00001);
		h.observe(0.002);
		h.observe(1.0);
		h.observe(60.0); // beyond the last bound: only in +Inf
		const auto c = h.cumulative();
		const auto& b = Histogram::bounds();
		CPPUNIT_ASSERT(c.size() >= b.size());
		for (std::size_t i = 1; i < c.size(); ++i)
			CPPUNIT_ASSERT(c[i] >= c[i - 1]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), c[0]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), c[b.size() - 1]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), h.count());
	}

	void testQuantileIsUpperBoundOfBucket()
	{
		Histogram h;
		for (int i = 0; i < 100; ++i)
			h.observe(0.001);
		const auto& b = Histogram::bounds();
		double expected = 0;
		for (double bound : b)
			if (bound >= 0.001) { expected = bound; break; }
		CPPUNIT_ASSERT_DOUBLES_EQUAL(expected, h.quantile(0.5), 1e-12);
		CPPUNIT_ASSERT_DOUBLES_EQUAL(expected, h.quantile(0.99), 1e-12);
	}

	void testQuantileSeesTheTail()
	{
		Histogram h;
		for (int i = 0; i < 90; ++i)
			h.observe(0.0002);
		for (int i = 0; i < 10; ++i)
			h.observe(2.0);
		CPPUNIT_ASSERT(h.quantile(0.5) < 0.01);
		CPPUNIT_ASSERT(h.quantile(0.99) >= 2.0);
		CPPUNIT_ASSERT(h.quantile(0.99) <= 10.0);
	}

	void testPrometheusHasHelpAndTypeOncePerName()
	{
		Metrics m;
		m.counter(Metrics::Published, {{"topic", "a"}}).increment();
		m.counter(Metrics::Published, {{"topic", "b"}}).increment();
		m.histogram(Metrics::PublishLatency, {{"topic", "a"}}).observe(0.001);
		const std::string text = m.toPrometheus();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), occurrences(text, "# HELP eventbus_events_published_total "));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), occurrences(text, "# TYPE eventbus_events_published_total counter\n"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), occurrences(text, "# TYPE eventbus_publish_latency_seconds histogram\n"));
		CPPUNIT_ASSERT(text.find("# TYPE eventbus_events_published_total") < text.find("eventbus_events_published_total{"));
	}

	void testPrometheusCounterLineHasSortedLabels()
	{
		Metrics m;
		m.counter(Metrics::Published, {{"transport", "memory"}, {"topic", "orders.created"}}).increment(2);
		const std::string text = m.toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text,
			"eventbus_events_published_total{topic=\"orders.created\",transport=\"memory\"} 2\n"));
	}

	void testPrometheusHistogramHasBucketsSumAndCount()
	{
		Metrics m;
		m.histogram(Metrics::PublishLatency, {{"transport", "memory"}}).observe(0.25);
		const std::string text = m.toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_publish_latency_seconds_bucket{"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "le=\"+Inf\"} 1\n"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "le=\"10\"} 1\n") || contains(text, "le=\"10.0\"} 1\n"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_publish_latency_seconds_sum{transport=\"memory\"} 0.25"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_publish_latency_seconds_count{transport=\"memory\"} 1\n"));
		CPPUNIT_ASSERT_EQUAL(Histogram::bounds().size() + 1, occurrences(text, "eventbus_publish_latency_seconds_bucket{"));
	}

	void testPrometheusEscapesLabelValues()
	{
		Metrics m;
		m.counter("x_total", {{"topic", "a\"b\\c\nd"}}).increment();
		const std::string text = m.toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "x_total{topic=\"a\\\"b\\\\c\\nd\"} 1\n"));
	}

	void testSummaryNamesEverySeries()
	{
		Metrics m;
		m.counter(Metrics::Delivered).increment(7);
		m.histogram(Metrics::EndToEndLatency).observe(0.01);
		const std::string text = m.summary();
		CPPUNIT_ASSERT(contains(text, Metrics::Delivered));
		CPPUNIT_ASSERT(contains(text, Metrics::EndToEndLatency));
	}

	void testGaugeGoesDownAndIsExportedAsAGauge()
	{
		Metrics m;
		Gauge& pending = m.gauge("eventbus_streams_pending", {{"group", "billing"}});
		pending.set(12);
		pending.set(3);
		pending.add(-1);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(2), m.gaugeValue("eventbus_streams_pending", {{"group", "billing"}}));
		CPPUNIT_ASSERT_EQUAL(std::int64_t(0), m.gaugeValue("eventbus_streams_pending", {{"group", "other"}}));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.counterValue("eventbus_streams_pending"));
		const std::string text = m.toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "# TYPE eventbus_streams_pending gauge\n"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_streams_pending{group=\"billing\"} 2\n"));
		CPPUNIT_ASSERT_MESSAGE(m.summary(), contains(m.summary(), "eventbus_streams_pending{group=\"billing\"} 2"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);
