//
// CloudEventTime.cpp
//
// The time attribute: CloudEventCodec::formatTime (RFC 3339, UTC,
// microseconds) and the fast reading of that form on decode.
//
#include "eventbus/CloudEventCodec.h"
#include "CloudEventTime.h"
#include <Poco/DateTimeFormatter.h>

namespace eventbus {
namespace codec {

namespace {

void appendDigits(char*& p, int value, int width)
{
	for (int i = width - 1; i >= 0; --i)
	{
		p[i] = static_cast<char>('0' + value % 10);
		value /= 10;
	}
	p += width;
}

int digits(const std::string& s, std::size_t pos, std::size_t count)
{
	int value = 0;
	for (std::size_t i = pos; i < pos + count; ++i)
	{
		const char c = s[i];
		if (c < '0' || c > '9') return -1;
		value = value * 10 + (c - '0');
	}
	return value;
}

// The fields of the form formatTime writes, YYYY-MM-DDTHH:MM:SS.ffffffZ.
struct CanonicalTime
{
	int year, month, day, hour, minute, second, millis, micros;
};

// Reads that form, checked as Poco's ISO 8601 parser would; false for
// anything else (which then goes through Poco's parser).
bool readCanonicalTime(const std::string& s, CanonicalTime& t)
{
	if (s.size() != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':'
		|| s[19] != '.' || s[26] != 'Z')
		return false;
	t = CanonicalTime{digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2),
		digits(s, 17, 2), digits(s, 20, 3), digits(s, 23, 3)};
	if (t.year < 0 || t.month < 0 || t.day < 0 || t.hour < 0 || t.minute < 0 || t.second < 0 || t.millis < 0 || t.micros < 0)
		return false;
	return Poco::DateTime::isValid(t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis, t.micros);
}

} // namespace

bool parseCanonicalTime(const std::string& s, Poco::DateTime& dateTime)
{
	CanonicalTime t;
	if (!readCanonicalTime(s, t)) return false;
	dateTime.assign(t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis, t.micros);
	return true;
}

// The same form straight to a timestamp (UTC, 1970 or later), without
// Poco's Julian-day arithmetic; false for anything else.
bool parseCanonicalTimestamp(const std::string& s, Poco::Timestamp& timestamp)
{
	CanonicalTime t;
	if (!readCanonicalTime(s, t) || t.year < 1970) return false;
	const int year = t.year, month = t.month, day = t.day;
	const int hour = t.hour, minute = t.minute, second = t.second, millis = t.millis, micros = t.micros;
	// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
	const long long y = year - (month <= 2 ? 1 : 0);
	const long long era = y / 400;
	const long long yearOfEra = y - era * 400;
	const long long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	const long long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
	const long long days = era * 146097 + dayOfEra - 719468;
	const long long seconds = days * 86400 + hour * 3600 + minute * 60 + second;
	timestamp = Poco::Timestamp(seconds * 1000000 + millis * 1000 + micros);
	return true;
}

} // namespace codec

namespace codec {

bool writeCanonicalTime(const Poco::Timestamp& ts, char* out)
{
	// What DateTimeFormatter writes for "%Y-%m-%dT%H:%M:%S.%FZ", without
	// interpreting the format or Poco's floating-point Julian day conversion
	// for every event. Before the epoch and after 9999 Poco keeps the job.
	const Poco::Timestamp::TimeVal micros = ts.epochMicroseconds();
	const Poco::Timestamp::TimeVal maxMicros = 253402300799999999LL; // 9999-12-31T23:59:59.999999Z
	if (micros < 0 || micros > maxMicros) return false;
	const long long seconds = micros / 1000000;
	const int fraction = static_cast<int>(micros % 1000000);
	const long long days = seconds / 86400;
	const int secondOfDay = static_cast<int>(seconds % 86400);
	// Civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil inverse).
	const long long z = days + 719468;
	const long long era = z / 146097;
	const long long dayOfEra = z - era * 146097;
	const long long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
	const long long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
	const long long mp = (5 * dayOfYear + 2) / 153;
	const int day = static_cast<int>(dayOfYear - (153 * mp + 2) / 5 + 1);
	const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
	const int year = static_cast<int>(yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
	char* p = out;
	appendDigits(p, year, 4);
	*p++ = '-';
	appendDigits(p, month, 2);
	*p++ = '-';
	appendDigits(p, day, 2);
	*p++ = 'T';
	appendDigits(p, secondOfDay / 3600, 2);
	*p++ = ':';
	appendDigits(p, secondOfDay / 60 % 60, 2);
	*p++ = ':';
	appendDigits(p, secondOfDay % 60, 2);
	*p++ = '.';
	appendDigits(p, fraction, 6);
	*p++ = 'Z';
	return true;
}

} // namespace codec

std::string CloudEventCodec::formatTime(const Poco::Timestamp& ts)
{
	char buffer[codec::CanonicalTimeSize];
	if (codec::writeCanonicalTime(ts, buffer)) return std::string(buffer, sizeof(buffer));
	return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%FZ");
}

} // namespace eventbus
