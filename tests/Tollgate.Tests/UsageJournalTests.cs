using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;
using Tollgate.Storage;

namespace Tollgate.Tests;

public class UsageJournalFormatTests
{
    static UsageRecord Record(string id, string model = "gpt-4o") => new()
    {
        Id = id,
        CustomerId = "cus_1",
        KeyId = "key_1",
        Mode = "live",
        Operation = "chat.completions",
        RequestedModel = model,
        Status = UsageStatus.Ok,
        InputTokens = 12,
        OutputTokens = 34,
        CostNanos = long.MaxValue,
        PriceVersion = "2026-11-01",
        CreatedAt = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.FromHours(2)),
    };

    static byte[] Lines(params UsageRecord[] records) => [.. records.SelectMany(r => UsageJournalFormat.Line(r).ToArray())];

    [Fact]
    public void A_record_comes_back_from_its_line_unchanged()
    {
        var record = Record("req_1", "model with \n newline and ü");
        var line = UsageJournalFormat.Line(record).ToArray();

        line[^1].ShouldBe((byte)'\n');
        line[..^1].ShouldNotContain((byte)'\n');
        UsageJournalFormat.Read(line.AsSpan(0, line.Length - 1)).ShouldBe(record);
    }

    [Fact]
    public void A_line_cut_short_by_a_crash_is_left_unread()
    {
        var whole = Lines(Record("req_1"), Record("req_2"));
        var cut = whole[..^10];
        var into = new List<UsageRecord>();
        var damaged = 0;

        var consumed = JournalLines.Read(cut, 100, into, ref damaged);

        into.Select(r => r.Id).ShouldBe(["req_1"]);
        consumed.ShouldBe(UsageJournalFormat.Line(Record("req_1")).Length);
        damaged.ShouldBe(0);
    }

    [Fact]
    public void Damaged_lines_are_passed_over_and_counted_and_zeros_are_skipped()
    {
        byte[] data = [.. Lines(Record("req_1")), .. "{\"id\":\"req_x\",\"garbage\n"u8.ToArray(), .. new byte[40], (byte)'\n', .. Lines(Record("req_2"))];
        var into = new List<UsageRecord>();
        var damaged = 0;

        var consumed = JournalLines.Read(data, 100, into, ref damaged);

        into.Select(r => r.Id).ShouldBe(["req_1", "req_2"]);
        damaged.ShouldBe(1);
        consumed.ShouldBe(data.Length);
    }

    [Fact]
    public void Reading_stops_at_the_batch_size_and_says_how_far_it_went()
    {
        var data = Lines(Record("req_1"), Record("req_2"), Record("req_3"));
        var into = new List<UsageRecord>();
        var damaged = 0;

        var consumed = JournalLines.Read(data, 2, into, ref damaged);

        into.Count.ShouldBe(2);
        JournalLines.Read(data.AsSpan(consumed), 2, into, ref damaged);
        into.Select(r => r.Id).ShouldBe(["req_1", "req_2", "req_3"]);
    }

    [Fact]
    public async Task Appends_go_to_a_new_segment_each_start_and_past_the_segment_size()
    {
        var directory = Directory.CreateTempSubdirectory("tollgate-journal-test-").FullName;
        try
        {
            var options = Options.Create(new UsageJournalOptions { Directory = directory, SegmentBytes = 64 * 1024 });
            await using var database = new Database(ConnectionTarget.Parse($"Data Source={Path.Combine(directory, "unused.db")}"));
            await using (var first = new UsageJournal(options, database, NullLogger<UsageJournal>.Instance))
            {
                first.Open();
                await first.AppendAsync(Record("req_1"));
                first.Segments().ShouldBe([1]);
            }

            await using var second = new UsageJournal(options, database, NullLogger<UsageJournal>.Instance);
            second.Open();
            second.Segments().ShouldBe([1, 2]);
            var line = UsageJournalFormat.Line(Record("req_2")).Length;
            for (var i = 0; i < 64 * 1024 / line + 1; i++) await second.AppendAsync(Record($"req_{i + 2}"));

            second.Segments().ShouldBe([1, 2, 3]);
            second.OpenEnd(2).ShouldBeNull();
            second.End.ShouldBe(new JournalPosition(3, 0));
            Encoding.UTF8.GetString(File.ReadAllBytes(second.PathOf(1))).ShouldContain("\"id\":\"req_1\"");

            // The backlog, kept in memory, is what the files on disk hold from a position on.
            long OnDisk(long from, long offset) => second.Segments().Where(s => s >= from).Sum(s => new FileInfo(second.PathOf(s)).Length) - offset;
            second.BytesAfter(new JournalPosition(1, 0)).ShouldBe(OnDisk(1, 0));
            second.BytesAfter(new JournalPosition(2, 100)).ShouldBe(OnDisk(2, 100));
            await second.AppendAsync(Record("req_last"));
            second.BytesAfter(new JournalPosition(3, 0)).ShouldBe(OnDisk(3, 0));
            second.BytesAfter(new JournalPosition(3, 0)).ShouldBeGreaterThan(0);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A closed segment is forced to the disk after the lock is let go, so appends into the next one go on meanwhile;
    /// an append that waits for the disk (<see cref="UsageJournalOptions.FsyncBeforeAnswer"/>) still completes once its
    /// own segment has been forced, across every roll.
    /// </summary>
    [Fact]
    public async Task Appends_that_wait_for_the_disk_complete_across_segment_rolls_with_every_line_kept()
    {
        var directory = Directory.CreateTempSubdirectory("tollgate-journal-test-").FullName;
        try
        {
            var options = Options.Create(new UsageJournalOptions { Directory = directory, SegmentBytes = 4 * 1024, FsyncBeforeAnswer = true });
            await using var database = new Database(ConnectionTarget.Parse($"Data Source={Path.Combine(directory, "unused.db")}"));
            await using var journal = new UsageJournal(options, database, NullLogger<UsageJournal>.Instance);
            journal.Open();

            var appends = Enumerable.Range(0, 400).Select(i => Task.Run(async () => await journal.AppendAsync(Record($"req_{i:D4}")))).ToArray();
            await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(30)); // a wait nobody completes fails here, not by hanging

            journal.Segments().Count.ShouldBeGreaterThan(5);
            var ids = journal.Segments().SelectMany(s => File.ReadAllLines(journal.PathOf(s))).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToList();
            ids.Order(StringComparer.Ordinal).ShouldBe(Enumerable.Range(0, 400).Select(i => $"req_{i:D4}"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_second_process_cannot_take_a_journal_in_use()
    {
        var directory = Directory.CreateTempSubdirectory("tollgate-journal-test-").FullName;
        try
        {
            var options = Options.Create(new UsageJournalOptions { Directory = directory });
            await using var database = new Database(ConnectionTarget.Parse($"Data Source={Path.Combine(directory, "unused.db")}"));
            await using var first = new UsageJournal(options, database, NullLogger<UsageJournal>.Instance);
            first.Open();
            await using var second = new UsageJournal(options, database, NullLogger<UsageJournal>.Instance);

            Should.Throw<InvalidOperationException>(second.Open).Message.ShouldContain("in use by another Tollgate process");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
