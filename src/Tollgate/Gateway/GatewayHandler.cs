using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>
/// One gateway request from start to finish, in three steps each of its own class: who is calling and for which model,
/// then <see cref="CallReservations"/> (reserve), <see cref="UpstreamForwarder"/> (forward, through
/// <see cref="AnswerWriter"/> or <see cref="StreamForwarder"/>) and <see cref="CallSettlement"/> (settle), which
/// writes exactly one usage record whatever happened.
/// </summary>
sealed class GatewayHandler(
    RouteRegistry routes,
    GatewayAuthenticator authenticator,
    PriceBook prices,
    UsageJournal journal,
    CallReservations reservations,
    UpstreamForwarder forwarder,
    CallSettlement settlement,
    IOptions<GatewayOptions> options,
    TimeProvider time)
{
    public const string CostHeader = "x-tollgate-cost";

    readonly GatewayOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, GatewayOperation operation)
    {
        var started = time.GetTimestamp();
        var startedAt = time.Now();
        var requestId = context.TraceIdentifier; // req_…, sent as x-request-id by Operations/RequestIds
        var protocol = operation == GatewayOperation.Messages ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI;

        var (caller, refusal) = await authenticator.AuthenticateAsync(context);
        if (caller is null)
        {
            await refusal!.WriteAsync(context, protocol);
            return;
        }

        var (request, invalid) = await GatewayRequest.ReadAsync(context, operation, _options.MaxRequestBytes);
        var call = new GatewayCall(requestId, caller, request?.OperationName ?? operation.ToString(), request?.Model ?? "", started, startedAt)
        {
            EndUser = request?.EndUser,
            Cost = Cost.Free(prices.Table.Version),
        };
        try
        {
            if (!journal.IsWritable)
            {
                await settlement.FailAsync(context, call, protocol, GatewayError.UsageJournalUnavailable(), UsageStatus.Rejected);
                return;
            }

            if (request is null)
            {
                await settlement.FailAsync(context, call, protocol, invalid!, UsageStatus.Rejected);
                return;
            }

            var route = routes.Current.Find(request.Model);
            if (route is null)
            {
                await settlement.FailAsync(context, call, protocol, GatewayError.ModelNotFound(request.Model), UsageStatus.Rejected);
                return;
            }

            if (!caller.MayUse(route.Feature))
            {
                await settlement.FailAsync(context, call, protocol, GatewayError.ModelNotAllowed(request.Model, caller.Customer?.Plan), UsageStatus.Rejected);
                return;
            }

            var plan = caller.IsTestMode && _options.SandboxForTestKeys
                ? [new Deployment(UpstreamProvider.Sandbox, route.Alias, 1, null)]
                : RoutePlanner.Plan(route, routes.Current.Find, Math.Max(1, _options.MaxAttempts), Random.Shared);
            if (await reservations.ReserveAsync(context, caller, request, plan, call) is { } refused)
            {
                await settlement.FailAsync(context, call, protocol, refused, UsageStatus.Rejected);
                return;
            }

            await forwarder.ServeAsync(context, caller, request, route, plan, call);
        }
        finally
        {
            await settlement.RecordAsync(call);
        }
    }
}
