using Tollgate.Common;

namespace Tollgate.Metering;

/// <summary>Checks a sent event, before anything is stored: its id, code, time window and properties.</summary>
public static class EventRules
{
    /// <summary>The code of the gateway's own usage events; nothing sent over the API may counterfeit them.</summary>
    public const string GatewayCode = "gateway";

    /// <summary>Gateway events are keyed by request id; a sent event with such an id could block a request's own event.</summary>
    public const string GatewayIdPrefix = "req_";

    public const string TooOld = "event_too_old";
    public const string InFuture = "event_in_future";

    /// <summary>Null when the event may be stored; otherwise why not, with a stable code.</summary>
    public static EventRejection? Check(EventInput input, DateTimeOffset now, MeteringOptions options)
    {
        if (string.IsNullOrWhiteSpace(input.Id) || input.Id.Length > 200)
        {
            return new("invalid_event", "'id' is required: the event's own id, at most 200 characters; a retry with the same id is counted once.");
        }

        if (new Validation().Code("code", input.Code).Failed)
        {
            return new("invalid_event", "'code' is required: lowercase letters, digits, '_', '-' or '.', starting with a letter.");
        }

        if (input.Code == GatewayCode)
        {
            return new("reserved_event_code", $"The code '{GatewayCode}' belongs to the gateway's own usage events; give your events a code of their own.");
        }

        if (input.Id.StartsWith(GatewayIdPrefix, StringComparison.Ordinal))
        {
            return new("reserved_event_id", $"Event ids starting with '{GatewayIdPrefix}' are the gateway's request ids; give your event an id of its own.");
        }

        if (input.Timestamp is { } at)
        {
            if (at < now.AddDays(-options.LateEventDays))
            {
                return new(TooOld, $"The event is older than {options.LateEventDays} days (Metering:LateEventDays); its period is closed.");
            }

            if (at > now.AddSeconds(options.FutureToleranceSeconds))
            {
                return new(InFuture, $"The event is stamped more than {options.FutureToleranceSeconds} s after the server's clock ({now:O}).");
            }
        }

        if (input.Properties?.Problem is { } problem) return new("invalid_event", problem);
        return null;
    }
}
