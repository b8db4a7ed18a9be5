using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Metering.Queries;

namespace Tollgate.Tests;

public sealed class PeriodTests
{
    static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(ResetPeriod.Day, "2026-11-21T10:15:00Z", "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z")]
    [InlineData(ResetPeriod.Week, "2026-11-22T23:59:59Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")] // a Sunday: the week began on Monday
    [InlineData(ResetPeriod.Week, "2026-11-23T00:00:00Z", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")]
    [InlineData(ResetPeriod.Month, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData(ResetPeriod.Year, "2028-02-29T12:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z")]
    [InlineData(ResetPeriod.Month, "2026-11-21T02:00:00+05:30", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")] // 20 Nov 20:30 UTC
    public void Calendar_periods_start_at_utc_midnight_mondays_and_firsts(ResetPeriod period, string at, string start, string end)
    {
        Periods.Containing(period, At(at)).ShouldBe(new Period(At(start), At(end)));
    }

    [Theory]
    [InlineData("2027-02-28T09:00:00Z", "2027-01-31T09:30:00Z", "2027-02-28T09:30:00Z")] // anchored on the 31st: February ends it on the 28th
    [InlineData("2027-03-01T00:00:00Z", "2027-02-28T09:30:00Z", "2027-03-31T09:30:00Z")]
    [InlineData("2026-10-31T09:29:59Z", "2026-09-30T09:30:00Z", "2026-10-31T09:30:00Z")]
    [InlineData("2025-01-15T00:00:00Z", "2024-12-31T09:30:00Z", "2025-01-31T09:30:00Z")] // before the anchor's own month works too
    public void Anchored_months_keep_the_anchor_day_or_the_months_last(string at, string start, string end)
    {
        var anchor = At("2026-08-31T09:30:00Z");
        var period = Periods.Containing(ResetPeriod.Month, At(at), anchor);
        period.ShouldBe(new Period(At(start), At(end)));
        period.Contains(At(at)).ShouldBeTrue();
    }

    [Fact]
    public void Anchored_days_weeks_and_years_step_from_the_anchor()
    {
        var anchor = At("2026-03-04T15:00:00Z");
        Periods.Containing(ResetPeriod.Day, At("2026-11-21T14:59:59Z"), anchor).ShouldBe(new Period(At("2026-11-20T15:00:00Z"), At("2026-11-21T15:00:00Z")));
        Periods.Containing(ResetPeriod.Week, At("2026-03-11T15:00:00Z"), anchor).ShouldBe(new Period(At("2026-03-11T15:00:00Z"), At("2026-03-18T15:00:00Z")));
        Periods.Containing(ResetPeriod.Week, At("2026-03-01T00:00:00Z"), anchor).ShouldBe(new Period(At("2026-02-25T15:00:00Z"), At("2026-03-04T15:00:00Z")));
        Periods.Containing(ResetPeriod.Year, At("2028-03-04T14:00:00Z"), anchor).ShouldBe(new Period(At("2027-03-04T15:00:00Z"), At("2028-03-04T15:00:00Z")));
    }
}

public sealed class UsageFormatTests
{
    [Fact]
    public void Csv_quotes_what_needs_quoting_and_defuses_formulas()
    {
        var rows = new[]
        {
            new UsageRow(["a,b", "say \"hi\""], null, 1.5m),
            new UsageRow(["=HYPERLINK(\"x\")", null], null, -3m),
            new UsageRow(["-2", "@me"], null, null),
        };
        UsageCsv.Write(["model", "user"], false, rows).ShouldBe(
            "model,user,value\r\n\"a,b\",\"say \"\"hi\"\"\",1.5\r\n\"'=HYPERLINK(\"\"x\"\")\",,-3\r\n-2,'@me,\r\n");
    }

    [Fact]
    public void Properties_compare_as_text_and_read_as_numbers_when_they_are()
    {
        var properties = JsonNode.Parse("""{"model":"gpt-4o","stream":true,"tokens":120,"price":0.25,"none":null,"text_number":"5"}""")!.AsObject();
        PropertyText.Of(properties, "stream").ShouldBe("true");
        PropertyText.Of(properties, "tokens").ShouldBe("120");
        PropertyText.Of(properties, "none").ShouldBeNull();
        PropertyText.Number(properties, "price").ShouldBe(0.25m);
        PropertyText.Number(properties, "text_number").ShouldBeNull();
        PropertyText.Matches(properties, new Dictionary<string, string[]> { ["model"] = ["gpt-4o", "claude"], ["stream"] = ["true"] }).ShouldBeTrue();
        PropertyText.Matches(properties, new Dictionary<string, string[]> { ["model"] = ["claude"] }).ShouldBeFalse();
        PropertyText.Matches(properties, new Dictionary<string, string[]> { ["missing"] = ["x"] }).ShouldBeFalse();
    }

    [Fact]
    public void Query_parameters_are_checked()
    {
        UsageParameters.GroupBy("model, end_user").Value.ShouldBe(["model", "end_user"]);
        UsageParameters.GroupBy("a,a").IsOk.ShouldBeFalse();
        UsageParameters.GroupBy("a,b,c,d,e").IsOk.ShouldBeFalse();
        UsageParameters.Interval("day").Value.ShouldBe(UsageInterval.Day);
        UsageParameters.Interval("week").IsOk.ShouldBeFalse();
        var now = DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        UsageParameters.Window(null, null, now).Value.Start.ShouldBe(DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        UsageParameters.Window(now, null, now).IsOk.ShouldBeFalse();
        UsageParameters.Window(now, now, now).IsOk.ShouldBeFalse();
    }
}
