namespace Fabric.Registry.Tests;

/// <summary>A throwaway data folder.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("fabric-registry-").FullName;

    public string Database => System.IO.Path.Combine(Path, "fabric.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
