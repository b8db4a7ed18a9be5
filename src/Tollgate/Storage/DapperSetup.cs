using System.Data;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Tollgate.Storage;

/// <summary>
/// Maps snake_case columns to properties and stores timestamps as <c>timestamptz</c> on PostgreSQL
/// and as fixed-width ISO-8601 UTC text on SQLite, so they sort the same way on both.
/// </summary>
static class DapperSetup
{
    static int _configured;

    public static void EnsureConfigured()
    {
        if (Interlocked.Exchange(ref _configured, 1) != 0) return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Dapper maps DateTimeOffset to a DbType of its own and then never calls the handler for parameters, so SQLite
        // got Microsoft.Data.Sqlite's "yyyy-MM-dd HH:mm:ss+00:00" beside our sortable format. Without the map, the handler runs.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcTimestampHandler());
    }

    public const string SqliteTimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    sealed class UtcTimestampHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            var utc = value.ToUniversalTime();
            if (parameter is SqliteParameter)
            {
                parameter.DbType = DbType.String;
                parameter.Value = utc.UtcDateTime.ToString(SqliteTimestampFormat, CultureInfo.InvariantCulture);
            }
            else
            {
                parameter.Value = utc;
            }
        }

        public override DateTimeOffset Parse(object value) => ReadTimestamp(value);
    }

    /// <summary>A timestamp as either database returns it: timestamptz (as DateTime or DateTimeOffset) or SQLite's text.</summary>
    public static DateTimeOffset ReadTimestamp(object value) => value switch
    {
        DateTimeOffset offset => offset.ToUniversalTime(),
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new DataException($"Cannot read a timestamp from a {value.GetType().Name}."),
    };
}
