import CAsyncTopConcurrency

#if canImport(Glibc)
import Glibc
#endif

/// Names the code that created a task, from the return address of its `swift_task_create` call: the
/// demangled function and, where the binary has debug line information, `file:line`. Runs once per distinct
/// address (the tap caches the name id), so its cost (a dladdr and a demangle) is off the hot path.
enum SpawnSites {
    static func describe(_ address: UnsafeRawPointer?) -> String {
        guard let address else { return "" }
        guard let symbol = asynctop_tap_symbol_name(address) else {
            return "0x" + String(UInt(bitPattern: address), radix: 16)
        }
        let mangled = String(cString: symbol)
        return demangle(mangled) ?? mangled
    }

    private static func demangle(_ mangled: String) -> String? {
        guard let text = mangled.withCString({ swift_demangle($0, strlen($0), nil, nil, 0) }) else { return nil }
        defer { free(text) }
        return String(cString: text)
    }
}

/// The runtime's demangler (libswiftCore exports it for tools).
@_silgen_name("swift_demangle")
private func swift_demangle(
    _ mangledName: UnsafePointer<CChar>, _ mangledNameLength: Int, _ outputBuffer: UnsafeMutablePointer<CChar>?,
    _ outputBufferSize: UnsafeMutablePointer<Int>?, _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?
