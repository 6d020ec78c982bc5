import Foundation

/// A fresh private (0700) directory, for region files and outputs; the caller removes it.
public func makeTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "asynctop-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(
        atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return path
}
