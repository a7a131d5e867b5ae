namespace Fabric.Registry.Tokens;

/// <summary>Opens the named API token store.</summary>
public static class ApiTokenStores
{
    /// <summary>Opens the token store in the registry database at <paramref name="databasePath"/>, which
    /// <see cref="FabricRegistry"/> has opened (and so migrated) first.</summary>
    public static IApiTokenStore Open(string databasePath, TimeProvider? time = null) =>
        SqliteApiTokenStore.Open(databasePath, time ?? TimeProvider.System);
}
