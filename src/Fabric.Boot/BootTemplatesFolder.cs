namespace Fabric.Boot;

/// <summary>Finds the templates folder when <c>Fabric:TemplatesDir</c> is not set, in this order:
/// <c>templates</c> in the content root; the <c>templates</c> folder of the source checkout the
/// content root is in (a folder up the tree holding <c>Fabric.sln</c>), so edits show up while
/// developing; the <c>templates</c> folder next to the application (a published appliance carries one).</summary>
public static class BootTemplatesFolder
{
    public const string FolderName = "templates";
    private const string CheckoutMarker = "Fabric.sln";

    /// <summary>The folder, or null when none is found.</summary>
    public static string? Resolve(string? configured, string? contentRoot)
    {
        var root = Path.GetFullPath(contentRoot ?? Environment.CurrentDirectory);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured, root);
            return Directory.Exists(full) ? full : null;
        }

        var inContentRoot = Path.Combine(root, FolderName);
        if (Directory.Exists(inContentRoot))
        {
            return inContentRoot;
        }

        var checkout = FindUpwards(root);
        if (checkout is not null)
        {
            return checkout;
        }

        var nextToApp = Path.Combine(AppContext.BaseDirectory, FolderName);
        return Directory.Exists(nextToApp) ? nextToApp : null;
    }

    /// <summary>The <c>templates</c> folder of the source checkout that <paramref name="start"/> is in.</summary>
    public static string? FindUpwards(string start)
    {
        for (var directory = new DirectoryInfo(Path.GetFullPath(start)); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, FolderName);
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, CheckoutMarker)))
            {
                return candidate;
            }
        }

        return null;
    }
}
