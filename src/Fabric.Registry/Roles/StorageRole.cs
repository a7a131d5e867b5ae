using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>StorageNode: serves AoE targets and NFS exports, one of a redundant pair. Fields <c>pair</c>,
/// <c>aoeShelf</c>, <c>volumes</c> and <c>nfsExports</c>.</summary>
internal sealed class StorageRole : RoleModule
{
    public override NodeRole Role => NodeRole.Storage;

    protected override IReadOnlyList<RoleField> OwnFields { get; } =
    [
        RoleField.Of("pair", i => i.Pair, (i, v) => i with { Pair = v }, n => n.Storage?.Pair),
        RoleField.OfValue("aoeShelf", i => i.AoeShelf, (i, v) => i with { AoeShelf = v }, n => n.Storage?.AoeShelf),
        RoleField.Of(
            "volumes",
            i => i.Volumes,
            (i, v) => i with { Volumes = v },
            n => n.Storage is { Volumes.Count: > 0 } s ? s.Volumes.Select(v => new VolumeInput(v.Name, v.Slot, v.SizeBytes, v.BackingPath)).ToList() : null,
            v => string.Join(",", v.Select(x => $"{x.Name}@{x.Slot}"))),
        RoleField.Of(
            "nfsExports",
            i => i.NfsExports,
            (i, v) => i with { NfsExports = v },
            n => n.Storage is { NfsExports.Count: > 0 } s ? s.NfsExports : null,
            v => string.Join(",", v)),
        RoleField.Of("storagePath", i => i.StoragePath, (i, v) => i with { StoragePath = v }, n => n.Storage?.StoragePath),
        RoleField.Of("aoeInterface", i => i.AoeInterface, (i, v) => i with { AoeInterface = v }, n => n.Storage?.AoeInterface),
        RoleField.Of("imagePath", i => i.ImagePath, (i, v) => i with { ImagePath = v }, n => n.Storage?.ImagePath),
    ];

    public override Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors)
    {
        string? pair = null;
        if (input.Pair is not null && !HostName.TryNormalize(input.Pair, out pair, out var reason))
        {
            errors.Add(new FieldError("pair", reason));
        }

        if (input.AoeShelf is < 0 or > AoeTarget.MaxShelf)
        {
            errors.Add(new FieldError("aoeShelf", $"an AoE shelf is 0-{AoeTarget.MaxShelf}"));
        }

        var volumes = new List<StorageVolume>();
        var slots = new HashSet<int>();
        for (int i = 0; i < (input.Volumes?.Count ?? 0); i++)
        {
            var v = input.Volumes![i];
            var field = $"volumes[{i}]";
            if (v is null)
            {
                errors.Add(new FieldError(field, "a volume is required"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(v.Name) || !v.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add(new FieldError($"{field}.name", "a volume name is letters, digits, '-', '_' and '.'"));
            }

            if (v.Slot is < 0 or > AoeTarget.MaxSlot)
            {
                errors.Add(new FieldError($"{field}.slot", $"an AoE slot is 0-{AoeTarget.MaxSlot}"));
            }
            else if (!slots.Add(v.Slot))
            {
                errors.Add(new FieldError($"{field}.slot", $"slot {v.Slot} is used by another volume of this node"));
            }

            if (v.SizeBytes <= 0)
            {
                errors.Add(new FieldError($"{field}.sizeBytes", "a volume size is positive"));
            }

            if (!IsAbsolutePath(v.BackingPath))
            {
                errors.Add(new FieldError($"{field}.backingPath", "a backing path is an absolute path without '..'"));
            }

            volumes.Add(new StorageVolume(v.Name ?? "", v.Slot, v.SizeBytes, v.BackingPath ?? ""));
        }

        var exports = new List<string>();
        for (int i = 0; i < (input.NfsExports?.Count ?? 0); i++)
        {
            var path = input.NfsExports![i];
            if (!IsAbsolutePath(path))
            {
                errors.Add(new FieldError($"nfsExports[{i}]", $"'{path}' is not an absolute path without '..'"));
            }
            else
            {
                exports.Add(path);
            }
        }

        if (input.StoragePath is not null && !IsAbsolutePath(input.StoragePath))
        {
            errors.Add(new FieldError("storagePath", $"'{input.StoragePath}' is not an absolute path without '..'"));
        }

        if (input.AoeInterface is not null && !IsInterfaceName(input.AoeInterface))
        {
            errors.Add(new FieldError("aoeInterface", $"'{input.AoeInterface}' is not an interface name (1-15 characters, no '/', ':' or spaces)"));
        }

        if (input.ImagePath is not null && !IsAbsolutePath(input.ImagePath))
        {
            errors.Add(new FieldError("imagePath", $"'{input.ImagePath}' is not an absolute path without '..'"));
        }

        var storagePath = input.StoragePath is { Length: > 1 } p ? p.TrimEnd('/') : input.StoragePath;
        var imagePath = input.ImagePath is { Length: > 1 } ip ? ip.TrimEnd('/') : input.ImagePath;
        return node with { Storage = new StorageSpec(pair, input.AoeShelf, volumes, exports, storagePath, input.AoeInterface, imagePath) };
    }
}
