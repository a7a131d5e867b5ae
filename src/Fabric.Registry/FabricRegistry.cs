using Fabric.Registry.Storage;

namespace Fabric.Registry;

/// <summary>Opens the registry.</summary>
public static class FabricRegistry
{
    /// <summary>The database file name inside <c>Fabric:DataDir</c>.</summary>
    public const string DatabaseFileName = "fabric.db";

    /// <summary>Opens (creating and migrating as needed) the registry database at <paramref name="databasePath"/>.</summary>
    public static IRegistry Open(string databasePath, TimeProvider? time = null) =>
        SqliteRegistry.Open(databasePath, time ?? TimeProvider.System);
}
