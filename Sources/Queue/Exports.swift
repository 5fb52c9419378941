// The values a user of Queue passes and receives (payloads, results, ids) are BSON's: importing
// Queue imports them too.
@_exported import BSON
