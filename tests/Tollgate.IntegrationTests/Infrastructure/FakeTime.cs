using Microsoft.Extensions.Time.Testing;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// The clock of the test servers, moved by hand: the wall clock and timestamps both advance, and timers and delays on
/// it fire when the clock passes them, so background loops (idle leases, heartbeats, alerts, janitors) run under tests.
/// </summary>
public sealed class FakeTime() : FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
