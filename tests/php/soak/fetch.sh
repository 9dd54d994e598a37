#!/usr/bin/env bash
# fetch.sh URL: one callback through nginx and php-fpm. A 503 (the page's answer while
# the store restarts) is tried again a moment later, as the customer's browser would be;
# prints "HTTP_CODE TRIES BODY".
url=$1
for try in $(seq 80); do
    out=$(curl -s -w '\n%{http_code}' "$url")
    code=${out##*$'\n'} body=${out%$'\n'*}
    body=${body%$'\n'}
    body=${body//$'\n'/ } # one line per callback, whatever a server error page looks like
    [ "$code" = 503 ] || break
    sleep 0.25
done
echo "$code $try $body"
