using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>
/// The end of every gateway call, however it ends: its reservations settle to what it used, and its one usage record
/// goes to the journal, before the last bytes of its answer.
/// </summary>
sealed class CallSettlement(UsageJournal journal, GatewayReservations reservations, TimeProvider time)
{
    /// <summary>
    /// Settles the call's reservations and appends its usage record to the journal, once. Called before the last bytes
    /// of the answer go out, so that a client that got a whole answer always has its usage recorded.
    /// </summary>
    public async ValueTask RecordAsync(GatewayCall call)
    {
        if (call.Recorded) return;
        call.Recorded = true;
        var record = call.ToRecord(time);
        reservations.Settle(call.Held, record);
        await journal.AppendAsync(record);
    }

    /// <summary>Answers with an error and notes it on the call's usage record.</summary>
    public async Task FailAsync(HttpContext context, GatewayCall call, GatewayProtocol protocol, GatewayError error, string status = UsageStatus.UpstreamError)
    {
        call.Status = status;
        call.HttpStatus = error.Status;
        call.ErrorCode = error.Code;
        await RecordAsync(call);
        await error.WriteAsync(context, protocol);
    }

}
