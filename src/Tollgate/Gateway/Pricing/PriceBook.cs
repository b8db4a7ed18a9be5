using Microsoft.Extensions.Options;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Pricing;

/// <summary>Prices a served request: the model's entry in the price table, then the markup of the customer's plan.</summary>
public sealed partial class PriceBook(IOptions<GatewayOptions> options, ILogger<PriceBook> log)
{
    readonly GatewayOptions _options = options.Value;
    readonly HashSet<string> _warned = new(StringComparer.OrdinalIgnoreCase);

    public PriceTable Table { get; } = PriceTable.Load(options.Value.Prices);

    /// <summary>
    /// The price for a deployment: its <c>PriceAs</c> entry, else the served model's, else the alias's. The sandbox
    /// prices as the model asked for when the table knows it (so demo costs look real), else as <c>sandbox</c>.
    /// </summary>
    public ModelPrice? Find(Deployment deployment, string requestedModel)
    {
        if (deployment.PriceAs is { } priceAs) return Table.Find(priceAs);
        if (deployment.Provider.Kind == ProviderKind.Sandbox) return Table.Find(requestedModel) ?? Table.Find("sandbox");
        return Table.Find(deployment.Model) ?? Table.Find(requestedModel);
    }

    public decimal MarkupPercent(string? plan) =>
        plan is not null && _options.Markups.TryGetValue(plan, out var markup) ? markup : _options.DefaultMarkupPercent;

    public Cost Price(Deployment deployment, string requestedModel, string? plan, TokenUsage usage)
    {
        var price = Find(deployment, requestedModel);
        if (price is null)
        {
            lock (_warned)
            {
                if (_warned.Add(deployment.Model)) LogUnpriced(log, deployment.Model);
            }

            return Cost.Unpriced(Table.Version);
        }

        var cost = CostCalculator.CostNanos(price, usage);
        return new Cost(cost, CostCalculator.WithMarkup(cost, MarkupPercent(plan)), Table.Version, Priced: true);
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning,
        Message = "Model {Model} has no price; its requests are recorded at zero cost. Add it under Gateway:Prices.")]
    static partial void LogUnpriced(ILogger logger, string model);
}
