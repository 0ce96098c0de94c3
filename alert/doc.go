// Package alert tells an operator when Telltale needs attention: a warn
// log line for every alert and, when a webhook is configured, a JSON POST
// to it.
//
// Delivery never blocks the proxy. Notify puts the alert on a bounded
// queue and returns; when the queue is full the alert is dropped, counted
// and logged. One worker posts each alert, retrying with exponential
// backoff on network errors, 5xx, 408 and 429; an alert it cannot deliver
// goes to the dead-letter file (JSON lines, one alert each with the last
// error) so that nothing is lost silently. The same alert (kind and
// subject) is sent at most once per Options.Repeat; the next one says how
// many were held back.
//
// The payload is an Alert in JSON. Its "text" field repeats the summary
// so that chat webhooks that show only "text" (Slack, Mattermost) show
// something useful.
package alert
