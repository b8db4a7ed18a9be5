using System.Threading.Channels;
using Npgsql;
using Tollgate.Common;

namespace Tollgate.Storage;

/// <summary>
/// Carries <see cref="ChangeFeed"/> changes between the nodes sharing one PostgreSQL database: each change published
/// here is sent with <c>pg_notify</c>, and each node <c>LISTEN</c>s on one connection of its own, so a revoked key, a
/// changed plan or a new limit reaches every node's caches in milliseconds. When the listening connection drops, the
/// node reconnects and, having possibly missed changes, drops every cached copy. Idle on SQLite, which has one node.
/// </summary>
public sealed partial class ClusterChanges : BackgroundService, IChangeAnnouncer
{
    public const string Channel = "tollgate_changes";
    const int MaxPayload = 7000;

    readonly Database database;
    readonly ChangeFeed feed;
    readonly TimeProvider time;
    readonly ILogger<ClusterChanges> log;

    public ClusterChanges(Database database, NodeIdentity node, ChangeFeed feed, TimeProvider time, ILogger<ClusterChanges> log)
    {
        this.database = database;
        this.feed = feed;
        this.time = time;
        this.log = log;
        _node = node.Id;
        database.Announcer = this;
    }

    /// <summary>This process, so that it ignores its own notifications.</summary>
    readonly string _node;

    /// <summary>On PostgreSQL, one <c>pg_notify</c> per payload in the committing transaction itself.</summary>
    public async Task InTransactionAsync(System.Data.Common.DbTransaction transaction, IReadOnlyList<(ChangeKind Kind, string? Id)> changes, CancellationToken ct)
    {
        if (database.Kind != DatabaseKind.Postgres) return;
        foreach (var payload in Payloads(changes))
        {
            await using var notify = (NpgsqlCommand)transaction.Connection!.CreateCommand();
            notify.Transaction = (NpgsqlTransaction)transaction;
            notify.CommandText = "SELECT pg_notify(@channel, @payload)";
            notify.Parameters.AddWithValue("channel", Channel);
            notify.Parameters.AddWithValue("payload", payload);
            await notify.ExecuteNonQueryAsync(ct);
        }
    }

    public void Committed(IReadOnlyList<(ChangeKind Kind, string? Id)> changes)
    {
        foreach (var (kind, id) in changes.Distinct()) feed.PublishedElsewhere(kind, id);
    }

    /// <summary>This node's id, then one change per line, each payload within PostgreSQL's 8,000 bytes.</summary>
    IEnumerable<string> Payloads(IEnumerable<(ChangeKind Kind, string? Id)> changes)
    {
        var payload = new System.Text.StringBuilder(_node);
        foreach (var (kind, id) in changes.Distinct())
        {
            if (payload.Length > MaxPayload)
            {
                yield return payload.ToString();
                payload.Clear().Append(_node);
            }

            payload.Append('\n').Append(kind).Append('|').Append(id);
        }

        if (payload.Length > _node.Length) yield return payload.ToString();
    }
    readonly Channel<(ChangeKind Kind, string? Id)> _outgoing = System.Threading.Channels.Channel.CreateUnbounded<(ChangeKind, string?)>(new() { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Kind != DatabaseKind.Postgres) return;
        feed.Published += OnPublished;
        try
        {
            await Task.WhenAll(ListenAsync(stoppingToken), SendAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            feed.Published -= OnPublished;
        }
    }

    void OnPublished(ChangeKind kind, string? id) => _outgoing.Writer.TryWrite((kind, id));

    async Task ListenAsync(CancellationToken ct)
    {
        var missedSome = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await database.OpenAsync(ct);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(ct);
                if (missedSome)
                {
                    LogListeningAgain(log);
                    feed.ReceiveAll();
                    missedSome = false;
                }

                while (true) await connection.WaitAsync(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogListenLost(log, e);
                missedSome = true;
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
        }
    }

    /// <summary>A notification is this node's id, then one change per line: <c>kind|id</c>.</summary>
    void OnNotification(string payload)
    {
        var lines = payload.Split('\n');
        if (lines.Length < 2 || lines[0] == _node) return;
        foreach (var line in lines.AsSpan(1))
        {
            var parts = line.Split('|', 2);
            if (parts.Length != 2 || !Enum.TryParse<ChangeKind>(parts[0], out var kind)) continue;
            feed.Receive(kind, parts[1].Length == 0 ? null : parts[1]);
        }
    }

    async Task SendAsync(CancellationToken ct)
    {
        var batch = new List<(ChangeKind Kind, string? Id)>();
        while (await _outgoing.Reader.WaitToReadAsync(ct))
        {
            // Changes waiting are sent together, each once, in notifications within PostgreSQL's 8,000-byte payload.
            var payload = new System.Text.StringBuilder(_node);
            var seen = new HashSet<(ChangeKind, string?)>();
            while (payload.Length < MaxPayload && _outgoing.Reader.TryRead(out var change))
            {
                if (!seen.Add(change)) continue;
                batch.Add(change);
                payload.Append('\n').Append(change.Kind).Append('|').Append(change.Id);
            }

            try
            {
                await using var connection = await database.OpenAsync(ct);
                await using var notify = (NpgsqlCommand)connection.CreateCommand();
                notify.CommandText = "SELECT pg_notify(@channel, @payload)";
                notify.Parameters.AddWithValue("channel", Channel);
                notify.Parameters.AddWithValue("payload", payload.ToString());
                await notify.ExecuteNonQueryAsync(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogSendFailed(log, e, batch.Count);
                foreach (var change in batch) _outgoing.Writer.TryWrite(change);
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }

            batch.Clear();
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information,
        Message = "Listening to other nodes' changes again; cached copies dropped.")]
    static partial void LogListeningAgain(ILogger logger);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning,
        Message = "Lost the connection that hears other nodes' changes; reconnecting.")]
    static partial void LogListenLost(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Telling other nodes about {Count} changes failed; retrying.")]
    static partial void LogSendFailed(ILogger logger, Exception exception, int count);
}
