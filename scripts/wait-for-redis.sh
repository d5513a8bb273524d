#!/bin/sh
# wait-for-redis.sh HOST PORT DEADLINE_SECONDS
#
# Waits until the Redis server at HOST:PORT answers PING with PONG (redis-cli),
# polling every 200 ms. Exits 0 once it does, 1 when DEADLINE_SECONDS pass
# first, 2 on bad usage. A password, if the server needs one, is taken from
# REDISCLI_AUTH (redis-cli reads it; it never appears on the command line).
set -u

if [ "$#" -ne 3 ]; then
	echo "usage: $0 HOST PORT DEADLINE_SECONDS" >&2
	exit 2
fi
host=$1
port=$2
deadline_seconds=$3
case "$port" in ''|*[!0-9]*) echo "$0: PORT must be a number, got '$port'" >&2; exit 2 ;; esac
case "$deadline_seconds" in ''|*[!0-9]*) echo "$0: DEADLINE_SECONDS must be a number, got '$deadline_seconds'" >&2; exit 2 ;; esac
if ! command -v redis-cli >/dev/null 2>&1; then
	echo "$0: redis-cli not found (apt-get install redis-tools)" >&2
	exit 2
fi

end=$(( $(date +%s) + deadline_seconds ))
last=""
while :; do
	# timeout bounds one attempt, so a stopped server cannot hold us past the deadline.
	last=$(timeout 2 redis-cli -h "$host" -p "$port" PING 2>&1)
	if [ "$last" = "PONG" ]; then
		echo "redis $host:$port is ready"
		exit 0
	fi
	if [ "$(date +%s)" -ge "$end" ]; then
		echo "$0: redis $host:$port did not answer PING within ${deadline_seconds}s (last: ${last:-no answer})" >&2
		exit 1
	fi
	sleep 0.2
done
