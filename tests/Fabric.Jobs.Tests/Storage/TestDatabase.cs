using Fabric.Registry;
using Microsoft.Data.Sqlite;

namespace Fabric.Jobs.Tests.Storage;

/// <summary>A throwaway registry database, migrated by the registry itself as the appliance does.</summary>
internal sealed class TestDatabase : IDisposable
{
    public TestDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("fabric-jobs-").FullName;
        Path = System.IO.Path.Combine(Folder, FabricRegistry.DatabaseFileName);
        FabricRegistry.Open(Path).Dispose();
    }

    public string Folder { get; }

    public string Path { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
