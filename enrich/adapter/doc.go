// Package adapter owns the translation of collector payloads into raw
// tracker-protocol events: the Snowplow tracker protocol (tp1 GET, tp2 GET and
// POST payload_data), the Iglu adapter and the webhooks Snowplow R108
// supported (CallRail, Mailchimp, Mailgun, Mandrill, Olark, PagerDuty,
// Pingdom, SendGrid, StatusGator, Unbounce, Urban Airship, CloudFront access
// log). An adapter failure is a list of messages that becomes one bad row for
// the whole payload.
package adapter
