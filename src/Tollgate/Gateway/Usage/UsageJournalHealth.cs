using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// Ready needs a journal that takes writes; a backlog past <see cref="UsageJournalOptions.WarnBacklogBytes"/> (the
/// database away for long) is degraded. The same figures are metrics of the <c>Tollgate.Gateway</c> meter.
/// </summary>
public sealed class UsageJournalHealth : IHealthCheck, IDisposable
{
    public const string MeterName = "Tollgate.Gateway";

    readonly UsageJournal _journal;
    readonly UsageDrain _drain;
    readonly UsageJournalOptions _options;
    readonly Meter _meter;

    public UsageJournalHealth(UsageJournal journal, UsageDrain drain, IOptions<UsageJournalOptions> options, IMeterFactory meters)
    {
        _journal = journal;
        _drain = drain;
        _options = options.Value;
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("tollgate.usage_journal.backlog", () => _drain.BacklogBytes, "By",
            "Gateway usage in this node's journal not yet in the database.");
        _meter.CreateObservableGauge("tollgate.usage_journal.writable", () => _journal.IsWritable ? 1 : 0, null,
            "1 while the usage journal takes writes; 0 while the gateway refuses requests for want of it.");
        _meter.CreateObservableCounter("tollgate.usage_journal.damaged_lines", () => _drain.Losses.Damaged, null,
            "Journal lines found damaged on disk and passed over.");
        _meter.CreateObservableCounter("tollgate.usage_journal.rejected_records", () => _drain.Losses.Rejected, null,
            "Usage records the database refused, set aside in rejected.jsonl.");
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backlog = _drain.BacklogBytes;
        var data = new Dictionary<string, object> { ["backlog_bytes"] = backlog, ["directory"] = _journal.Directory };
        if (!_journal.IsWritable)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"The usage journal in {_journal.Directory} cannot be written; gateway requests are refused.", _journal.Fault, data));
        }

        return Task.FromResult(backlog > _options.WarnBacklogBytes
            ? HealthCheckResult.Degraded($"{backlog} bytes of gateway usage wait in the journal for the database.", data: data)
            : HealthCheckResult.Healthy($"{backlog} bytes of gateway usage wait in the journal.", data));
    }

    public void Dispose() => _meter.Dispose();
}
