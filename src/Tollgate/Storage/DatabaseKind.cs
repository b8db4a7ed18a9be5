namespace Tollgate.Storage;

public enum DatabaseKind
{
    Sqlite,
    Postgres,
}
