using Fabric.Registry.Settings;
using Fabric.Registry.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Registry;

/// <summary>Opens the registry.</summary>
public static class FabricRegistry
{
    /// <summary>The database file name inside <c>Fabric:DataDir</c>.</summary>
    public const string DatabaseFileName = "fabric.db";

    /// <summary>Opens (creating and migrating as needed) the registry on the SQLite database at <paramref name="databasePath"/>.</summary>
    public static IRegistry Open(string databasePath, TimeProvider? time = null, DiscoveryOptions? discovery = null, EventOptions? events = null) =>
        Open(OpenSqliteStore(databasePath), time, discovery, events);

    /// <summary>The registry's rules over any store.</summary>
    public static IRegistry Open(IRegistryStore store, TimeProvider? time = null, DiscoveryOptions? discovery = null, EventOptions? events = null, RegistryMetrics? metrics = null) =>
        new RegistryService(store, time ?? TimeProvider.System, Options.Create(discovery ?? new DiscoveryOptions()), Options.Create(events ?? new EventOptions()), metrics ?? new RegistryMetrics());

    /// <summary>The SQLite store (WAL, synchronous=FULL, checkpointed off the write path), migrated to the latest schema.</summary>
    public static IRegistryStore OpenSqliteStore(string databasePath, ILoggerFactory? loggers = null) =>
        SqliteRegistryStore.Open(databasePath, logger: loggers?.CreateLogger<WalCheckpointer>());
}
